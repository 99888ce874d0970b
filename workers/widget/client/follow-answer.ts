/**
 * Follows one answer to its end and settles the turn's state: `finish`
 * arrives (done, stopped or failed), the user stops it, the API refuses it,
 * or the stream is cut. A stream that closes or breaks without `finish` (a
 * proxy, a network change) is resumed after the last event received, since
 * the worker records every event; after two failed resumes it gives up.
 * Never throws.
 */
import { ChatApiError } from "./chat-api";
import type { AssistantTurn } from "./conversation";

export interface FollowAnswerInput {
  turn: AssistantTurn;
  signal: AbortSignal;
  /** Starts the answer (POST /api/chat, or a replay after a reload). */
  start: () => Promise<void>;
  /** How to resume after `lastEventId`; undefined when there is no session to resume yet. */
  resumer: () => ((lastEventId: string | undefined) => Promise<void>) | undefined;
  interruptedMessage: string;
}

const maxResumes = 2;

export async function followAnswer(input: FollowAnswerInput): Promise<void> {
  const { turn } = input;
  const settle = (state: "stopped" | "failed", failure?: AssistantTurn["failure"]) => {
    turn.progress = undefined;
    turn.state = state;
    if (failure) turn.failure = failure;
  };
  let attempt = input.start;
  for (let resumes = 0; ; resumes++) {
    try {
      await attempt();
    } catch (error) {
      if (input.signal.aborted) return settle("stopped");
      if (error instanceof ChatApiError) return settle("failed", { message: error.message, retryable: error.retryable });
      // Anything else is a broken connection: resume below.
    }
    if (turn.state !== "streaming") return;
    const resume = input.resumer();
    if (!resume || resumes >= maxResumes) return settle("failed", { message: input.interruptedMessage, retryable: true });
    attempt = () => resume(turn.lastEventId);
  }
}
