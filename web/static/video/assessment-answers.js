// The host's live view of a questionnaire: every question with the client's answer so far,
// updated as the client answers, and a button to close the questionnaire.

import { paragraph } from "./dom.js";

export class AssessmentAnswers {
  #t;
  #text;
  #element;
  #status;

  /**
   * @param text {import("./assessment-text.js").AssessmentText}
   * @param onCancel {() => void}
   */
  constructor({ template, t, text, onCancel }) {
    this.#t = t;
    this.#text = text;
    this.#element = this.#build(template, onCancel);
  }

  get element() {
    return this.#element;
  }

  get status() {
    return this.#status;
  }

  group(questionId) {
    return this.#element.querySelector(`#aq-${questionId}-group`);
  }

  showAnswer(question, group, value) {
    const answer = group.querySelector(".video-assessment__answer");
    const missing = value === undefined || value === null || value === "" || (Array.isArray(value) && !value.length);
    answer.classList.toggle("video-assessment__answer--none", missing);
    answer.textContent = missing ? this.#t("assessment_not_answered") : this.#describe(question, value);
  }

  /** The client sees the errors in their answers; the host's view has no controls to mark. */
  showFieldError() {}

  #build(template, onCancel) {
    const wrapper = document.createElement("div");
    const hint = paragraph("hint", "", this.#t("assessment_host_hint"));
    const list = document.createElement("dl");
    list.className = "summary-list summary-list--stacked video-assessment__answers";
    list.id = "assessment-answers";
    for (const question of template.questions) list.append(this.#row(question));
    this.#status = paragraph("video-assessment__status", "assessment-status", "");
    this.#status.setAttribute("role", "status");
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "button button--warning";
    cancel.id = "assessment-cancel";
    cancel.textContent = this.#t("assessment_cancel");
    cancel.addEventListener("click", onCancel);
    wrapper.append(hint, list, this.#status, cancel);
    return wrapper;
  }

  #row(question) {
    const row = document.createElement("div");
    row.className = "summary-list__row video-assessment__question";
    row.id = `aq-${question.id}-group`;
    row.dataset.question = question.id;
    const term = document.createElement("dt");
    term.className = "summary-list__key";
    term.textContent = this.#text.localize(question.text);
    const answer = document.createElement("dd");
    answer.className = "summary-list__value video-assessment__answer";
    answer.id = `aq-${question.id}-answer`;
    row.append(term, answer);
    return row;
  }

  #describe(question, value) {
    const label = (option) => {
      const found = question.options?.find((candidate) => candidate.value === option);
      return found ? this.#text.localize(found.label) : String(option);
    };
    switch (question.type) {
      case "single_choice":
        return label(value);
      case "multiple_choice":
        return (Array.isArray(value) ? value : [value]).map(label).join(", ");
      case "scale":
        return this.#t("assessment_scale_answer", {
          value: this.#text.number(value),
          min: this.#text.number(question.min),
          max: this.#text.number(question.max),
        });
      case "number":
        return this.#text.number(value);
      case "date":
        return this.#text.date(value);
      default:
        return String(value);
    }
  }
}
