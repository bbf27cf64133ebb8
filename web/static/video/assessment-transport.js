// The live assessment's messages on the room's socket (docs/signaling.md, "Assessments in the
// meeting"): what the page sends, which errors concern the assessment, and the pacing of free
// text, which is sent when the writer pauses rather than at every key.

const FREE_TEXT_DEBOUNCE_MS = 500;
const ERROR_CODES = new Set([
  "invalid-answer",
  "incomplete",
  "not-saved",
  "no-assessment",
  "no-client",
  "assessment-open",
  "unknown-template",
]);

export function isAssessmentError({ code }) {
  return ERROR_CODES.has(code);
}

export class AssessmentTransport {
  #send;
  #onTypingPaused;
  #timers = new Map(); // question id → debounce timer of free text

  /**
   * @param send {(message: object) => boolean} false if the message could not be sent
   * @param onTypingPaused {(questionId: string) => void} time to read and send that answer
   */
  constructor({ send, onTypingPaused }) {
    this.#send = send;
    this.#onTypingPaused = onTypingPaused;
  }

  start(templateId) {
    this.#send({ type: "assessment-start", template: templateId });
  }

  answer(assessment, question, value) {
    this.#send({ type: "assessment-answer", assessment, question, value });
  }

  /** @returns {boolean} whether the submit went out */
  submit(assessment) {
    return this.#send({ type: "assessment-submit", assessment });
  }

  cancel(assessment) {
    this.#send({ type: "assessment-cancel", assessment });
  }

  typed(questionId) {
    clearTimeout(this.#timers.get(questionId));
    this.#timers.set(
      questionId,
      setTimeout(() => this.flush(questionId), FREE_TEXT_DEBOUNCE_MS),
    );
  }

  isTyping(questionId) {
    return this.#timers.has(questionId);
  }

  /** Send a typed answer now instead of after the pause. */
  flush(questionId) {
    if (!this.#timers.has(questionId)) return;
    clearTimeout(this.#timers.get(questionId));
    this.#timers.delete(questionId);
    this.#onTypingPaused(questionId);
  }

  flushAll() {
    for (const questionId of [...this.#timers.keys()]) this.flush(questionId);
  }

  forgetTyping() {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
