// Types `env` from "cloudflare:workers" in the worker tests as the worker's own bindings.
import type { Env as WorkerEnv } from "../../../../workers/env";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {}
  }
}
