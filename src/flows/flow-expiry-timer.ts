import { Component } from '../lifecycle.ts';
import type { FlowMeter } from './flow-meter.ts';

export interface FlowExpiryTimerOptions {
  /** Timer period; an idle flow is exported at most this long after its idle timeout. Default 500 ms. */
  tickMs?: number;
  /** Current time in µs since the Unix epoch; wall clock by default. */
  nowUs?: () => number;
}

/**
 * Drives a live flow meter's expiry from the wall clock, so a flow whose last packet was the last
 * on the wire is still exported about one tick after its idle timeout. File extraction does not
 * need it: there, packet timestamps advance the meter's time.
 */
export class FlowExpiryTimer extends Component {
  readonly #meter: FlowMeter;
  readonly #tickMs: number;
  readonly #nowUs: () => number;
  #timer: NodeJS.Timeout | undefined;

  constructor(meter: FlowMeter, options: FlowExpiryTimerOptions = {}) {
    super('flow-expiry-timer');
    this.#meter = meter;
    this.#tickMs = options.tickMs ?? 500;
    this.#nowUs = options.nowUs ?? (() => Date.now() * 1000);
  }

  protected async onStart(): Promise<void> {
    this.#timer = setInterval(() => {
      try {
        this.#meter.advanceTime(this.#nowUs());
      } catch (err) {
        // An exception here comes from the export callback; stop and report instead of retrying every tick.
        this.#stop();
        this.fail(err);
      }
    }, this.#tickMs);
    this.#timer.unref();
  }

  protected async onClose(): Promise<void> {
    this.#stop();
  }

  protected async onDestroy(): Promise<void> {
    this.#stop();
  }

  #stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
