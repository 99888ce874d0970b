/**
 * An OrtIoBinding: inputs and outputs bound to tensor views (device or host), then `RunWithBinding`. Binding a
 * name again replaces its previous value. The binding holds references, not copies: the views must stay alive
 * while they are bound (the engine keeps them for the life of its pool). Long runs go to koffi's worker thread so
 * the event loop keeps serving HTTP while a step computes; short ones run inline (see `runInline`).
 */
import type { StepBinding, TensorView } from "./inference-session";
import { liveNativeObjects, NativeTensorView } from "./native-memory";
import type { OrtLibrary, Pointer } from "./ort-library";

function nativeView(view: TensorView): NativeTensorView {
  if (!(view instanceof NativeTensorView)) throw new Error("a binding takes views made by the native layer");
  return view;
}

/** Runs shorter than this (measured on the previous run of the binding) block the event loop instead of hopping threads. */
const SYNC_RUN_BELOW_MS = 4;

export class NativeBinding implements StepBinding {
  private readonly binding: Pointer;
  private released = false;
  private running = false;
  /** How long the last run took; the first run of a binding goes to a worker thread. */
  private lastRunMs = Number.POSITIVE_INFINITY;

  constructor(
    private readonly ort: OrtLibrary,
    private readonly session: Pointer,
    private readonly runOptions: Pointer | null,
    /** Registers each run with the session, which waits for it before it is released. */
    private readonly track: (run: Promise<void>) => Promise<void>,
  ) {
    this.binding = ort.out("CreateIoBinding", session);
    liveNativeObjects.bindings += 1;
  }

  bindInput(name: string, view: TensorView): void {
    this.ort.check(`BindInput(${name})`, this.ort.api.BindInput(this.binding, name, nativeView(view).pointer));
  }

  bindOutput(name: string, view: TensorView): void {
    this.ort.check(`BindOutput(${name})`, this.ort.api.BindOutput(this.binding, name, nativeView(view).pointer));
  }

  /** Forget every bound input and output (the views themselves stay alive). */
  clear(): void {
    this.ort.api.ClearBoundInputs(this.binding);
    this.ort.api.ClearBoundOutputs(this.binding);
  }

  run(): Promise<void> {
    if (this.released) return Promise.reject(new Error("run on a released binding"));
    if (this.running) return Promise.reject(new Error("a binding runs one step at a time"));
    this.running = true;
    return this.track(this.lastRunMs < SYNC_RUN_BELOW_MS ? this.runInline() : this.runOnWorker());
  }

  /**
   * Short runs (a decode step on a GPU) go straight through: koffi's hop to a worker thread and back costs
   * 50–200 µs, a sizeable share of a 2 ms step. The event loop gets a turn right after (setImmediate), so HTTP
   * and streaming still interleave with the steps.
   */
  private async runInline(): Promise<void> {
    const started = performance.now();
    try {
      this.ort.check("RunWithBinding", this.ort.api.RunWithBinding(this.session, this.runOptions, this.binding));
    } finally {
      this.lastRunMs = performance.now() - started;
      this.running = false;
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Long runs (prefill chunks, CPU steps of big models) go to koffi's worker thread, leaving the event loop free. */
  private runOnWorker(): Promise<void> {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      this.ort.api.RunWithBinding.async(this.session, this.runOptions, this.binding, (error: unknown, status: Pointer | null) => {
        this.lastRunMs = performance.now() - started;
        this.running = false;
        try {
          if (error) throw error;
          this.ort.check("RunWithBinding", status);
          resolve();
        } catch (failure) {
          reject(failure);
        }
      });
    });
  }

  release(): void {
    if (this.released) return;
    if (this.running) throw new Error("release of a binding while it runs");
    this.released = true;
    this.ort.api.ReleaseIoBinding(this.binding);
    liveNativeObjects.bindings -= 1;
  }
}
