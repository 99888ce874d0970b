/**
 * Counters and gauges the scheduler updates and /metrics renders in Prometheus text format.
 */

export class EngineMetrics {
  queueDepth = 0;
  batchSize = 0;
  requestsTotal = 0;
  requestsRejected = 0;
  requestsCancelled = 0;
  promptTokensTotal = 0;
  /** Prompt tokens taken from the prefix cache instead of being prefilled. */
  prefixCacheHitTokensTotal = 0;
  /** Bytes the prefix cache holds now. */
  prefixCacheBytes = 0;
  generationTokensTotal = 0;
  ttftSecondsSum = 0;
  ttftCount = 0;
  stepSecondsSum = 0;
  stepCount = 0;
  /** Recent (time, tokens) samples for a tokens/s gauge over the last window. */
  private readonly recent: { at: number; tokens: number }[] = [];

  constructor(private readonly now: () => number = () => performance.now()) {}

  recordTokens(count: number): void {
    this.generationTokensTotal += count;
    const at = this.now();
    this.recent.push({ at, tokens: count });
    while (this.recent.length > 0 && at - (this.recent[0]?.at ?? at) > 10_000) this.recent.shift();
  }

  recordTtft(seconds: number): void {
    this.ttftSecondsSum += seconds;
    this.ttftCount += 1;
  }

  recordStep(seconds: number): void {
    this.stepSecondsSum += seconds;
    this.stepCount += 1;
  }

  tokensPerSecond(): number {
    const first = this.recent[0];
    if (!first) return 0;
    const span = (this.now() - first.at) / 1000;
    const tokens = this.recent.reduce((sum, sample) => sum + sample.tokens, 0);
    return span > 0 ? tokens / Math.max(span, 1) : 0;
  }

  toPrometheus(labels: { model: string }): string {
    const label = `{model="${labels.model.replace(/["\\\n]/g, "_")}"}`;
    const lines: string[] = [];
    const metric = (name: string, type: "gauge" | "counter", help: string, value: number): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name}${label} ${Number.isFinite(value) ? value : 0}`);
    };
    metric("engine_queue_depth", "gauge", "Requests waiting for a batch slot.", this.queueDepth);
    metric("engine_batch_size", "gauge", "Sequences in the running batch.", this.batchSize);
    metric("engine_requests_total", "counter", "Generation requests accepted.", this.requestsTotal);
    metric("engine_requests_rejected_total", "counter", "Requests rejected because the queue was full.", this.requestsRejected);
    metric("engine_requests_cancelled_total", "counter", "Requests cancelled by client disconnect or deadline.", this.requestsCancelled);
    metric("engine_prompt_tokens_total", "counter", "Prompt tokens processed.", this.promptTokensTotal);
    metric(
      "engine_prefix_cache_hit_tokens_total",
      "counter",
      "Prompt tokens served from the prefix cache instead of prefilled.",
      this.prefixCacheHitTokensTotal,
    );
    metric("engine_prefix_cache_bytes", "gauge", "Host memory held by the prefix cache.", this.prefixCacheBytes);
    metric("engine_generation_tokens_total", "counter", "Tokens generated.", this.generationTokensTotal);
    metric("engine_tokens_per_second", "gauge", "Generated tokens per second over the last 10 s.", this.tokensPerSecond());
    lines.push("# HELP engine_time_to_first_token_seconds Time from admission request to first token.", "# TYPE engine_time_to_first_token_seconds summary");
    lines.push(`engine_time_to_first_token_seconds_sum${label} ${this.ttftSecondsSum}`, `engine_time_to_first_token_seconds_count${label} ${this.ttftCount}`);
    lines.push("# HELP engine_step_seconds Time per batched forward step.", "# TYPE engine_step_seconds summary");
    lines.push(`engine_step_seconds_sum${label} ${this.stepSecondsSum}`, `engine_step_seconds_count${label} ${this.stepCount}`);
    return `${lines.join("\n")}\n`;
  }
}
