// A questionnaire's words and numbers in the page's language. The template carries its own texts
// in fi, sv and en; the page's translated strings say the rest.

// What the server's field message ids say, when the page has them translated.
const ANSWER_REQUIRED = "Answer this question.";

export class AssessmentText {
  #t;
  #lang;
  #fieldMessages;

  /** @param fieldMessages {Object<string, string>} the server's field message ids, translated */
  constructor({ t, lang, fieldMessages }) {
    this.#t = t;
    this.#lang = lang;
    this.#fieldMessages = fieldMessages;
  }

  /** One of the template's texts: a string, or {fi, sv, en}. */
  localize(text) {
    if (typeof text === "string") return text;
    return text?.[this.#lang] ?? text?.en ?? text?.fi ?? "";
  }

  number(value) {
    return new Intl.NumberFormat(this.#lang, { maximumFractionDigits: 6 }).format(value);
  }

  /** An answer to a date question, "2027-03-28" as the reader writes dates. */
  date(value) {
    // At noon, so that no time zone moves it to another day.
    const date = new Date(`${value}T12:00:00`);
    return Number.isNaN(date.getTime()) ? String(value) : new Intl.DateTimeFormat(this.#lang, { dateStyle: "medium" }).format(date);
  }

  scaleEnds(question) {
    return this.#t("assessment_scale_ends", {
      min: this.number(question.min),
      min_label: this.localize(question.min_label),
      max: this.number(question.max),
      max_label: this.localize(question.max_label),
    });
  }

  scaleLabel(question, value) {
    const number = this.number(value);
    if (value === question.min) return `${number} – ${this.localize(question.min_label)}`;
    if (value === question.max) return `${number} – ${this.localize(question.max_label)}`;
    return number;
  }

  rangeHint(question) {
    const hasMin = question.min !== undefined && question.min !== null;
    const hasMax = question.max !== undefined && question.max !== null;
    if (hasMin && hasMax) return this.#t("assessment_range", { min: this.number(question.min), max: this.number(question.max) });
    if (hasMin) return this.#t("assessment_range_min", { min: this.number(question.min) });
    return this.#t("assessment_range_max", { max: this.number(question.max) });
  }

  /** The server's message about one answer; a general one if the page has no translation of it. */
  fieldMessage(messageId) {
    if (messageId && this.#fieldMessages[messageId]) return this.#fieldMessages[messageId];
    return this.#t(messageId === ANSWER_REQUIRED ? "assessment_answer_this" : "assessment_check_this");
  }
}
