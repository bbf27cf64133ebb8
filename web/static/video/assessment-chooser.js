// The host's choice of questionnaire: the ones available, the button that sends the chosen one
// to the client, and the line that says why it did not open. The client's page has none of it.

export class AssessmentChooser {
  #element;
  #select;
  #error;

  /** @param onChoose {(templateId: string) => void} */
  constructor({ element, select, sendButton, error, onChoose }) {
    this.#element = element;
    this.#select = select;
    this.#error = error;
    sendButton?.addEventListener("click", () => this.#choose(onChoose));
    select?.addEventListener("change", () => this.showError(""));
  }

  /** Offered only while no questionnaire is open. */
  setOffered(offered) {
    if (this.#element) this.#element.hidden = !offered;
  }

  showError(text) {
    if (!this.#error) return;
    this.#error.textContent = text;
    this.#error.hidden = !text;
  }

  #choose(onChoose) {
    if (!this.#select?.value) return;
    this.showError("");
    onChoose(this.#select.value);
  }
}
