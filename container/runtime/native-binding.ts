/**
 * An OrtIoBinding: inputs and outputs bound to tensor views (device or host), then `RunWithBinding`. Binding a
 * name again replaces its previous value. The binding holds references, not copies: the views must stay alive
 * while they are bound (the engine keeps them for the life of its pool). Runs go to koffi's worker thread, so
 * the event loop keeps serving HTTP while a step computes.
 */
import type { StepBinding, TensorView } from "./inference-session";
import { liveNativeObjects, NativeTensorView } from "./native-memory";
import type { OrtLibrary, Pointer } from "./ort-library";

function nativeView(view: TensorView): NativeTensorView {
  if (!(view instanceof NativeTensorView)) throw new Error("a binding takes views made by the native layer");
  return view;
}

export class NativeBinding implements StepBinding {
  private readonly binding: Pointer;
  private released = false;
  private running = false;

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
    return this.track(
      new Promise((resolve, reject) => {
        this.ort.api.RunWithBinding.async(this.session, this.runOptions, this.binding, (error: unknown, status: Pointer | null) => {
          this.running = false;
          try {
            if (error) throw error;
            this.ort.check("RunWithBinding", status);
            resolve();
          } catch (failure) {
            reject(failure);
          }
        });
      }),
    );
  }

  release(): void {
    if (this.released) return;
    if (this.running) throw new Error("release of a binding while it runs");
    this.released = true;
    this.ort.api.ReleaseIoBinding(this.binding);
    liveNativeObjects.bindings -= 1;
  }
}
