// The client's questionnaire form, built from the template: one field per question with its
// hints and error, and the controls' accessible descriptions. It reads and fills the controls;
// the panel decides when.

import { paragraph } from "./dom.js";

// A scale longer than this is typed as a number rather than offered as radio buttons.
const MAX_SCALE_RADIOS = 11;

export class AssessmentForm {
  #t;
  #text;
  #onAnswer;
  #onTyping;
  #onTypingDone;
  #isTyping;
  #element;
  #status;
  #submit;

  /**
   * @param text {import("./assessment-text.js").AssessmentText}
   * @param onAnswer {(question) => void} a control's answer changed
   * @param onTyping {(question) => void} free text is being typed
   * @param onTypingDone {(question) => void} free text was left
   * @param isTyping {(questionId: string) => boolean} typed text not yet sent
   */
  constructor({ template, t, text, onAnswer, onTyping, onTypingDone, onSubmit, isTyping }) {
    this.#t = t;
    this.#text = text;
    this.#onAnswer = onAnswer;
    this.#onTyping = onTyping;
    this.#onTypingDone = onTypingDone;
    this.#isTyping = isTyping;
    this.#element = this.#build(template);
    this.#element.addEventListener("submit", (event) => {
      event.preventDefault();
      onSubmit();
    });
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

  /** @returns {{value: *}|{invalid: true}} the answer in a question's control */
  read(question) {
    const id = `aq-${question.id}`;
    const group = this.group(question.id);
    if (!group) return { value: null };
    if (question.type === "multiple_choice") {
      const values = [...group.querySelectorAll(`input[name="${id}"]:checked`)].map((input) => input.value);
      return { value: values.length ? values : null };
    }
    if (question.type === "single_choice" || (question.type === "scale" && group.querySelector('input[type="radio"]'))) {
      const checked = group.querySelector(`input[name="${id}"]:checked`);
      if (!checked) return { value: null };
      return { value: question.type === "scale" ? Number(checked.value) : checked.value };
    }
    const input = group.querySelector(`#${id}`);
    const raw = input.value;
    if (question.type === "free_text") return { value: raw.trim() ? raw : null };
    if (question.type === "date") return { value: raw || null };
    const text = raw.trim().replace(",", ".").replace("\u2212", "-");
    if (!text) return { value: null };
    if (!/^-?\d{1,12}(\.\d{1,6})?$/.test(text)) return { invalid: true };
    const number = Number(text);
    if (question.type === "scale" && !Number.isInteger(number)) return { invalid: true };
    return { value: number };
  }

  /** Put an answer into its control, unless the person is typing in it. */
  showAnswer(question, group, value) {
    const id = `aq-${question.id}`;
    const boxes = group.querySelectorAll(`input[name="${id}"][type="radio"], input[name="${id}"][type="checkbox"]`);
    if (boxes.length) {
      const chosen = new Set((Array.isArray(value) ? value : value === null ? [] : [value]).map(String));
      for (const box of boxes) box.checked = chosen.has(box.value);
      return;
    }
    const input = group.querySelector(`#${id}`);
    if (!input || input === document.activeElement || this.#isTyping(question.id)) return;
    if (value === null) input.value = "";
    else if (question.type === "number" || question.type === "scale") input.value = this.#text.number(value);
    else input.value = String(value);
  }

  showFieldError(questionId, text) {
    const group = this.group(questionId);
    if (!group) return;
    const error = group.querySelector(`#aq-${questionId}-error`);
    if (!error) return;
    error.textContent = text;
    error.hidden = !text;
    group.classList.toggle("form-group--error", Boolean(text));
    const control = group.querySelector("fieldset") ?? group.querySelector(`#aq-${questionId}`);
    if (!control) return;
    if (text) control.setAttribute("aria-invalid", "true");
    else control.removeAttribute("aria-invalid");
    if (control.tagName !== "FIELDSET") control.classList.toggle("input--error", Boolean(text));
    describe(control, group, questionId);
  }

  focusQuestion(questionId) {
    const target = this.group(questionId)?.querySelector("input, textarea");
    target?.focus();
  }

  /** While the answers are being saved they cannot change. */
  lock(locked) {
    for (const control of this.#element.querySelectorAll("input, textarea")) control.readOnly = locked;
    for (const control of this.#element.querySelectorAll('input[type="radio"], input[type="checkbox"]')) control.disabled = locked;
    if (locked) this.#submit.setAttribute("aria-disabled", "true");
    else this.#submit.removeAttribute("aria-disabled");
  }

  #build(template) {
    const form = document.createElement("form");
    form.className = "video-assessment__form";
    form.id = "assessment-form";
    form.noValidate = true;
    if (template.introduction) form.append(paragraph("hint", "", this.#text.localize(template.introduction)));
    for (const question of template.questions) form.append(this.#field(question));
    this.#status = paragraph("video-assessment__status", "assessment-status", "");
    this.#status.setAttribute("role", "status");
    this.#submit = document.createElement("button");
    this.#submit.type = "submit";
    this.#submit.className = "button";
    this.#submit.id = "assessment-submit";
    this.#submit.textContent = this.#t("assessment_submit");
    form.append(this.#status, this.#submit);
    return form;
  }

  #field(question) {
    const id = `aq-${question.id}`;
    const group = document.createElement("div");
    group.className = "form-group video-assessment__question";
    group.id = `${id}-group`;
    group.dataset.question = question.id;
    const label = this.#text.localize(question.text) + (question.required === false ? ` ${this.#t("optional")}` : "");
    const ends = question.type === "scale" ? paragraph("hint", `${id}-ends`, this.#text.scaleEnds(question)) : null;
    const notes = [this.#hint(question), ends].filter(Boolean);
    const error = paragraph("error-message", `${id}-error`, "");
    error.hidden = true;
    let control;
    if (offersChoices(question)) {
      control = this.#choices(question, label, [...notes, error]);
      group.append(control);
    } else {
      control = this.#typedAnswer(question);
      group.append(labelFor(control, label), ...notes, error, control);
    }
    describe(control, group, question.id);
    return group;
  }

  #hint(question) {
    const parts = [];
    if (question.hint) parts.push(this.#text.localize(question.hint));
    if (question.type === "number" && (question.min !== undefined || question.max !== undefined)) {
      parts.push(this.#text.rangeHint(question));
    }
    return parts.length ? paragraph("hint", `aq-${question.id}-hint`, parts.join(" ")) : null;
  }

  /** Radio buttons or checkboxes in a fieldset, its legend the question. */
  #choices(question, label, notes) {
    const id = `aq-${question.id}`;
    const fieldset = document.createElement("fieldset");
    fieldset.className = "fieldset";
    const legend = document.createElement("legend");
    legend.className = "fieldset__legend";
    legend.textContent = label;
    fieldset.append(legend, ...notes);
    const items = document.createElement("div");
    items.className = question.type === "scale" ? "video-assessment__scale" : "video-assessment__choices";
    const multiple = question.type === "multiple_choice";
    this.#options(question).forEach((option, index) => {
      const item = document.createElement("div");
      item.className = multiple ? "checkbox" : "radio";
      const input = document.createElement("input");
      input.type = multiple ? "checkbox" : "radio";
      input.name = id;
      input.id = index === 0 ? id : `${id}-${index}`;
      input.value = String(option.value);
      const optionLabel = document.createElement("label");
      optionLabel.htmlFor = input.id;
      optionLabel.textContent = option.label;
      item.append(input, optionLabel);
      items.append(item);
    });
    items.addEventListener("change", () => this.#onAnswer(question));
    fieldset.append(items);
    return fieldset;
  }

  #options(question) {
    if (question.type === "scale") {
      return range(question.min, question.max).map((value) => ({ value, label: this.#text.scaleLabel(question, value) }));
    }
    return question.options.map((option) => ({ value: option.value, label: this.#text.localize(option.label) }));
  }

  /** A text area, a date, or a number typed as text. */
  #typedAnswer(question) {
    const id = `aq-${question.id}`;
    let input;
    if (question.type === "free_text") {
      input = document.createElement("textarea");
      input.className = "textarea";
      input.rows = 3;
      input.maxLength = question.max_length ?? 2000;
      input.addEventListener("input", () => this.#onTyping(question));
      input.addEventListener("change", () => this.#onTypingDone(question));
    } else {
      input = document.createElement("input");
      input.className = "input";
      if (question.type === "date") {
        input.type = "date";
        input.className = "input input--date";
      } else {
        // Typed as text so that a decimal comma works in every browser.
        input.type = "text";
        input.inputMode = question.type === "scale" ? "numeric" : "decimal";
        input.autocomplete = "off";
        input.className = "input input--number";
      }
      input.addEventListener("change", () => this.#onAnswer(question));
    }
    input.id = id;
    input.name = id;
    return input;
  }
}

function labelFor(control, text) {
  const label = document.createElement("label");
  label.className = "label";
  label.htmlFor = control.id;
  label.textContent = text;
  return label;
}

function offersChoices(question) {
  if (question.type === "single_choice" || question.type === "multiple_choice") return true;
  return question.type === "scale" && question.max - question.min + 1 <= MAX_SCALE_RADIOS;
}

/** Point the control at its hints and, when shown, its error. */
function describe(control, group, questionId) {
  const id = `aq-${questionId}`;
  const present = [`${id}-hint`, `${id}-ends`].filter((candidate) => group.querySelector(`#${candidate}`));
  const error = group.querySelector(`#${id}-error`);
  if (error && !error.hidden) present.push(error.id);
  if (present.length) control.setAttribute("aria-describedby", present.join(" "));
  else control.removeAttribute("aria-describedby");
}

function range(from, to) {
  const values = [];
  for (let value = from; value <= to; value += 1) values.push(value);
  return values;
}
