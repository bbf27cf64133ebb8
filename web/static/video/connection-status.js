// The status line that says whether the connection to the meeting is up: silent while all is
// well, a note while reconnecting, and "connected again" for a moment after.

const RECONNECTED_SHOWN_MS = 5000;

export class ConnectionStatus {
  #element;
  #t;
  #reconnecting = false;
  #timer = 0;

  constructor({ element, t }) {
    this.#element = element;
    this.#t = t;
  }

  /** `state` is Signaling's "connecting" | "open" | "reconnecting". */
  show(state) {
    clearTimeout(this.#timer);
    if (state === "connecting") {
      this.#element.textContent = this.#t("connecting");
    } else if (state === "reconnecting") {
      this.#reconnecting = true;
      this.#element.textContent = this.#t("reconnecting");
    } else if (this.#reconnecting) {
      this.#reconnecting = false;
      this.#element.textContent = this.#t("reconnected");
      this.#timer = setTimeout(() => {
        this.#element.textContent = "";
      }, RECONNECTED_SHOWN_MS);
    } else {
      this.#element.textContent = "";
    }
  }

  clear() {
    this.#element.textContent = "";
  }
}
