// A live assessment in the room (docs/signaling.md, "Assessments in the meeting").
//
// The host picks a questionnaire and sends it; the client answers it beside the video, each
// answer going to the server as it is given; the host follows the answers as they arrive. The
// server checks every answer and keeps them with the client's seat, so a page that reconnects
// receives `assessment` with the answers so far and fills them in.
//
// The questionnaire (`template`) is assessments/templates.py's definition: every text in fi, sv
// and en; questions of type single_choice, multiple_choice, scale, number, free_text or date,
// each maybe with a condition on an earlier answer.

const FREE_TEXT_DEBOUNCE_MS = 500;
// A scale longer than this is typed as a number rather than offered as radio buttons.
const MAX_SCALE_RADIOS = 11;
const ERROR_CODES = new Set([
  "invalid-answer",
  "incomplete",
  "not-saved",
  "no-assessment",
  "no-client",
  "assessment-open",
  "unknown-template",
]);
// What the server's field message ids say, when the page has them translated.
const ANSWER_REQUIRED = "Answer this question.";

export class AssessmentPanel {
  #role;
  #panel;
  #title;
  #body;
  #chooser;
  #select;
  #sendButton;
  #hostError;
  #t;
  #fieldMessages;
  #lang;
  #formats;
  #send;
  #announce;
  #live = null; // {id, template, answers, submitting}
  #questions = new Map(); // id → question
  #timers = new Map(); // question id → debounce timer of free text
  #status = null;

  constructor({ role, panel, title, body, chooser, select, sendButton, hostError, t, fieldMessages, lang, formats, send, announce }) {
    this.#role = role;
    this.#panel = panel;
    this.#title = title;
    this.#body = body;
    this.#chooser = chooser;
    this.#select = select;
    this.#sendButton = sendButton;
    this.#hostError = hostError;
    this.#t = t;
    this.#fieldMessages = fieldMessages ?? {};
    this.#lang = lang;
    this.#formats = formats;
    this.#send = send;
    this.#announce = announce;
    this.#sendButton?.addEventListener("click", () => this.#start());
    this.#select?.addEventListener("change", () => this.#showHostError(""));
  }

  get isHost() {
    return this.#role === "host";
  }

  /** Handle a server message of the assessment family; returns true if it was one. */
  handle(message) {
    switch (message.type) {
      case "assessment":
        this.#open(message);
        return true;
      case "assessment-answer":
        this.#answered(message);
        return true;
      case "assessment-result":
        this.#result(message);
        return true;
      case "assessment-closed":
        this.#closed(message);
        return true;
      case "error":
        if (!ERROR_CODES.has(message.code)) return false;
        this.#error(message);
        return true;
      default:
        return false;
    }
  }

  /** Our seat was lost (back to the lobby): the room will send the questionnaire again. */
  reset() {
    this.#clearTimers();
    this.#live = null;
    this.#body.replaceChildren();
    this.#title.textContent = this.#t("assessment_heading");
    if (this.isHost) this.#chooser.hidden = false;
    else this.#panel.hidden = true;
  }

  // ---- the host starts one --------------------------------------------------------------------

  #start() {
    if (!this.#select?.value) return;
    this.#showHostError("");
    this.#send({ type: "assessment-start", template: this.#select.value });
  }

  #showHostError(text) {
    if (!this.#hostError) return;
    this.#hostError.textContent = text;
    this.#hostError.hidden = !text;
  }

  // ---- messages ---------------------------------------------------------------------------------

  #open({ id, template, answers, submitting }) {
    const fresh = this.#live?.id !== id;
    this.#live = { id, template, answers: { ...(answers ?? {}) }, submitting: Boolean(submitting) };
    this.#questions = new Map(template.questions.map((question) => [question.id, question]));
    this.#panel.hidden = false;
    if (this.#chooser) this.#chooser.hidden = true;
    this.#showHostError("");
    if (fresh) {
      this.#clearTimers();
      this.#title.textContent = this.#text(template.title);
      this.#body.replaceChildren(this.isHost ? this.#hostView(template) : this.#clientView(template));
      this.#title.focus();
      if (!this.isHost) this.#announce(this.#t("assessment_arrived", { title: this.#text(template.title) }));
    }
    this.#sync();
    this.#setSubmitting(this.#live.submitting);
  }

  #answered({ assessment, question, value }) {
    const live = this.#live;
    if (!live || live.id !== assessment) return;
    if (value === null || value === undefined) delete live.answers[question];
    else live.answers[question] = value;
    this.#showFieldError(question, "");
    this.#sync(question);
  }

  #result({ assessment, result }) {
    const live = this.#live;
    if (!live || live.id !== assessment) return;
    this.#clearTimers();
    this.#live = null;
    const box = document.createElement("div");
    box.className = "video-assessment__result";
    box.id = "assessment-result";
    const heading = document.createElement("h3");
    heading.id = "assessment-result-title";
    heading.tabIndex = -1;
    heading.textContent = this.#t(this.isHost ? "assessment_saved" : "assessment_thanks");
    box.append(heading);
    const score = result?.score ?? null;
    if (score) {
      const list = document.createElement("dl");
      list.className = "summary-list video-assessment__score";
      const row = (label, value) => {
        const wrapper = document.createElement("div");
        wrapper.className = "summary-list__row";
        const term = document.createElement("dt");
        term.className = "summary-list__key";
        term.textContent = label;
        const detail = document.createElement("dd");
        detail.className = "summary-list__value";
        detail.textContent = value;
        wrapper.append(term, detail);
        list.append(wrapper);
      };
      if (score.total !== null && score.total !== undefined) row(this.#t("assessment_total"), this.#number(score.total));
      if (score.percent !== null && score.percent !== undefined) {
        row(this.#t("assessment_percent"), this.#formats.percent.format(score.percent / 100));
      }
      if (score.band) row(this.#t("assessment_band"), this.#text(score.band));
      box.append(list);
    } else {
      const note = document.createElement("p");
      note.textContent = this.#t("assessment_no_score");
      box.append(note);
    }
    this.#body.replaceChildren(box);
    this.#title.textContent = this.#t("assessment_heading");
    if (this.#chooser) this.#chooser.hidden = false;
    heading.focus();
    this.#announce(heading.textContent);
  }

  #closed({ assessment }) {
    if (!this.#live || this.#live.id !== assessment) return;
    this.reset();
    if (this.isHost) {
      this.#title.focus();
      this.#announce(this.#t("assessment_cancelled_host"));
    } else {
      this.#announce(this.#t("assessment_cancelled"));
    }
  }

  #error({ code, fields }) {
    if (this.isHost) {
      const key = {
        "no-client": "assessment_no_client",
        "assessment-open": "assessment_already_open",
        "unknown-template": "assessment_unknown",
        "not-saved": "assessment_not_saved_host",
      }[code];
      if (key) this.#showHostError(this.#t(key));
      if (code === "not-saved" && this.#live) {
        this.#live.submitting = false;
        this.#setStatus(this.#t("assessment_not_saved_host"));
      }
      return;
    }
    if (!this.#live) return;
    if (code === "not-saved") {
      this.#setSubmitting(false);
      this.#setStatus(this.#t("assessment_not_saved"), true);
      return;
    }
    if (code === "no-assessment") return;
    const problems = Object.entries(fields ?? {});
    for (const [question, messageId] of problems) this.#showFieldError(question, this.#fieldMessage(messageId));
    if (code === "incomplete") {
      this.#setSubmitting(false);
      this.#setStatus(this.#t("assessment_incomplete"), true);
      const first = this.#template().questions.find((question) => fields?.[question.id]);
      if (first) this.#focusQuestion(first.id);
    }
  }

  // ---- the client's form --------------------------------------------------------------------------

  #clientView(template) {
    const form = document.createElement("form");
    form.className = "video-assessment__form";
    form.id = "assessment-form";
    form.noValidate = true;
    if (template.introduction) {
      const intro = document.createElement("p");
      intro.className = "hint";
      intro.textContent = this.#text(template.introduction);
      form.append(intro);
    }
    for (const question of template.questions) form.append(this.#questionField(question));
    const status = document.createElement("p");
    status.className = "video-assessment__status";
    status.id = "assessment-status";
    status.setAttribute("role", "status");
    this.#status = status;
    const submit = document.createElement("button");
    submit.type = "submit";
    submit.className = "button";
    submit.id = "assessment-submit";
    submit.textContent = this.#t("assessment_submit");
    form.append(status, submit);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#submit();
    });
    return form;
  }

  #questionField(question) {
    const id = `aq-${question.id}`;
    const group = document.createElement("div");
    group.className = "form-group video-assessment__question";
    group.id = `${id}-group`;
    group.dataset.question = question.id;
    const labelText = this.#text(question.text) + (question.required === false ? ` ${this.#t("optional")}` : "");
    const hintParts = [];
    if (question.hint) hintParts.push(this.#text(question.hint));
    if (question.type === "number" && (question.min !== undefined || question.max !== undefined)) {
      hintParts.push(this.#rangeHint(question));
    }
    const hint = hintParts.length ? paragraph("hint", `${id}-hint`, hintParts.join(" ")) : null;
    const error = paragraph("error-message", `${id}-error`, "");
    error.hidden = true;

    const choices = question.type === "single_choice" || question.type === "multiple_choice";
    const scaleRadios = question.type === "scale" && question.max - question.min + 1 <= MAX_SCALE_RADIOS;
    if (choices || scaleRadios) {
      const fieldset = document.createElement("fieldset");
      fieldset.className = "fieldset";
      const legend = document.createElement("legend");
      legend.className = "fieldset__legend";
      legend.textContent = labelText;
      fieldset.append(legend);
      if (hint) fieldset.append(hint);
      if (question.type === "scale") {
        fieldset.append(paragraph("hint", `${id}-ends`, this.#scaleEnds(question)));
      }
      fieldset.append(error);
      const items = document.createElement("div");
      items.className = question.type === "scale" ? "video-assessment__scale" : "video-assessment__choices";
      const multiple = question.type === "multiple_choice";
      const options =
        question.type === "scale"
          ? range(question.min, question.max).map((value) => ({ value, label: this.#scaleLabel(question, value) }))
          : question.options.map((option) => ({ value: option.value, label: this.#text(option.label) }));
      options.forEach((option, index) => {
        const item = document.createElement("div");
        item.className = multiple ? "checkbox" : "radio";
        const input = document.createElement("input");
        input.type = multiple ? "checkbox" : "radio";
        input.name = id;
        input.id = index === 0 ? id : `${id}-${index}`;
        input.value = String(option.value);
        const label = document.createElement("label");
        label.htmlFor = input.id;
        label.textContent = option.label;
        item.append(input, label);
        items.append(item);
      });
      items.addEventListener("change", () => this.#changed(question));
      fieldset.append(items);
      group.append(fieldset);
      this.#describe(fieldset, question.id);
      return group;
    }

    const label = document.createElement("label");
    label.className = "label";
    label.htmlFor = id;
    label.textContent = labelText;
    group.append(label);
    if (hint) group.append(hint);
    if (question.type === "scale") group.append(paragraph("hint", `${id}-ends`, this.#scaleEnds(question)));
    group.append(error);
    let input;
    if (question.type === "free_text") {
      input = document.createElement("textarea");
      input.className = "textarea";
      input.rows = 3;
      input.maxLength = question.max_length ?? 2000;
      input.addEventListener("input", () => this.#debounce(question));
      input.addEventListener("change", () => this.#flush(question.id));
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
      input.addEventListener("change", () => this.#changed(question));
    }
    input.id = id;
    input.name = id;
    group.append(input);
    this.#describe(input, question.id);
    return group;
  }

  /** Point the control at its hints and, when shown, its error. */
  #describe(element, questionId) {
    const id = `aq-${questionId}`;
    const group = this.#group(questionId) ?? element.parentElement;
    const present = [`${id}-hint`, `${id}-ends`].filter((candidate) => group?.querySelector(`#${candidate}`));
    const error = group?.querySelector(`#${id}-error`);
    if (error && !error.hidden) present.push(error.id);
    if (present.length) element.setAttribute("aria-describedby", present.join(" "));
    else element.removeAttribute("aria-describedby");
  }

  #debounce(question) {
    clearTimeout(this.#timers.get(question.id));
    this.#timers.set(
      question.id,
      setTimeout(() => this.#flush(question.id), FREE_TEXT_DEBOUNCE_MS),
    );
  }

  #flush(questionId) {
    if (!this.#timers.has(questionId)) return;
    clearTimeout(this.#timers.get(questionId));
    this.#timers.delete(questionId);
    const question = this.#questions.get(questionId);
    if (question) this.#changed(question);
  }

  #clearTimers() {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  /** Read a question's control and send its answer, if it changed. */
  #changed(question) {
    const live = this.#live;
    if (!live || live.submitting) return;
    const read = this.#read(question);
    if (read.invalid) {
      this.#showFieldError(question.id, this.#fieldMessage(""));
      return;
    }
    const before = live.answers[question.id] ?? null;
    if (sameValue(before, read.value)) {
      this.#showFieldError(question.id, "");
      return;
    }
    // Conditions follow what was just chosen at once; the server's echo confirms it.
    if (read.value === null) delete live.answers[question.id];
    else live.answers[question.id] = read.value;
    this.#send({ type: "assessment-answer", assessment: live.id, question: question.id, value: read.value });
    this.#sync();
  }

  #read(question) {
    const id = `aq-${question.id}`;
    const group = this.#group(question.id);
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

  /** Put the answers into the controls (not into the one being typed in) and apply conditions. */
  #sync(only = null) {
    const live = this.#live;
    if (!live) return;
    for (const question of live.template.questions) {
      const group = this.#group(question.id);
      if (!group) continue;
      const shown = this.#isShown(question, live.answers);
      group.hidden = !shown;
      if (only !== null && only !== question.id) continue;
      if (this.isHost) this.#renderHostAnswer(question, group);
      else this.#fill(question, group, live.answers[question.id] ?? null);
    }
  }

  #fill(question, group, value) {
    const id = `aq-${question.id}`;
    const boxes = group.querySelectorAll(`input[name="${id}"][type="radio"], input[name="${id}"][type="checkbox"]`);
    if (boxes.length) {
      const chosen = new Set((Array.isArray(value) ? value : value === null ? [] : [value]).map(String));
      for (const box of boxes) box.checked = chosen.has(box.value);
      return;
    }
    const input = group.querySelector(`#${id}`);
    if (!input || input === document.activeElement || this.#timers.has(question.id)) return;
    if (value === null) input.value = "";
    else if (question.type === "number" || question.type === "scale") input.value = this.#number(value);
    else input.value = String(value);
  }

  #submit() {
    const live = this.#live;
    if (!live || live.submitting) return;
    // Typed text not yet sent goes first: messages keep their order.
    for (const questionId of [...this.#timers.keys()]) this.#flush(questionId);
    this.#setStatus("");
    if (this.#send({ type: "assessment-submit", assessment: live.id })) this.#setSubmitting(true);
  }

  #setSubmitting(submitting) {
    if (!this.#live) return;
    this.#live.submitting = submitting;
    if (this.isHost) {
      this.#setStatus(submitting ? this.#t("assessment_host_submitting") : "");
      return;
    }
    const form = this.#body.querySelector("#assessment-form");
    if (!form) return;
    for (const control of form.querySelectorAll("input, textarea")) control.readOnly = submitting;
    for (const control of form.querySelectorAll('input[type="radio"], input[type="checkbox"]')) control.disabled = submitting;
    const button = form.querySelector("#assessment-submit");
    if (submitting) button.setAttribute("aria-disabled", "true");
    else button.removeAttribute("aria-disabled");
    if (submitting) {
      this.#setStatus(this.#t("assessment_sending"));
      this.#announce(this.#t("assessment_sending"));
    }
  }

  #setStatus(text, problem = false) {
    if (!this.#status) return;
    this.#status.textContent = text;
    this.#status.classList.toggle("error-message", problem);
  }

  #showFieldError(questionId, text) {
    const group = this.#group(questionId);
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
    this.#describe(control, questionId);
  }

  #focusQuestion(questionId) {
    const group = this.#group(questionId);
    const target = group?.querySelector("input, textarea");
    target?.focus();
  }

  // ---- the host's view ----------------------------------------------------------------------------

  #hostView(template) {
    const wrapper = document.createElement("div");
    const hint = paragraph("hint", "", this.#t("assessment_host_hint"));
    const list = document.createElement("dl");
    list.className = "summary-list summary-list--stacked video-assessment__answers";
    list.id = "assessment-answers";
    for (const question of template.questions) {
      const row = document.createElement("div");
      row.className = "summary-list__row video-assessment__question";
      row.id = `aq-${question.id}-group`;
      row.dataset.question = question.id;
      const term = document.createElement("dt");
      term.className = "summary-list__key";
      term.textContent = this.#text(question.text);
      const answer = document.createElement("dd");
      answer.className = "summary-list__value video-assessment__answer";
      answer.id = `aq-${question.id}-answer`;
      row.append(term, answer);
      list.append(row);
    }
    const status = document.createElement("p");
    status.className = "video-assessment__status";
    status.id = "assessment-status";
    status.setAttribute("role", "status");
    this.#status = status;
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "button button--warning";
    cancel.id = "assessment-cancel";
    cancel.textContent = this.#t("assessment_cancel");
    cancel.addEventListener("click", () => {
      if (this.#live) this.#send({ type: "assessment-cancel", assessment: this.#live.id });
    });
    wrapper.append(hint, list, status, cancel);
    return wrapper;
  }

  #renderHostAnswer(question, group) {
    const answer = group.querySelector(".video-assessment__answer");
    const value = this.#live.answers[question.id];
    const missing = value === undefined || value === null || value === "" || (Array.isArray(value) && !value.length);
    answer.classList.toggle("video-assessment__answer--none", missing);
    answer.textContent = missing ? this.#t("assessment_not_answered") : this.#describeAnswer(question, value);
  }

  #describeAnswer(question, value) {
    const label = (option) => {
      const found = question.options?.find((candidate) => candidate.value === option);
      return found ? this.#text(found.label) : String(option);
    };
    switch (question.type) {
      case "single_choice":
        return label(value);
      case "multiple_choice":
        return (Array.isArray(value) ? value : [value]).map(label).join(", ");
      case "scale":
        return this.#t("assessment_scale_answer", {
          value: this.#number(value),
          min: this.#number(question.min),
          max: this.#number(question.max),
        });
      case "number":
        return this.#number(value);
      case "date": {
        const date = new Date(`${value}T12:00:00`);
        return Number.isNaN(date.getTime()) ? String(value) : new Intl.DateTimeFormat(this.#lang, { dateStyle: "medium" }).format(date);
      }
      default:
        return String(value);
    }
  }

  // ---- helpers -------------------------------------------------------------------------------------

  #template() {
    return this.#live?.template ?? { questions: [] };
  }

  #group(questionId) {
    return this.#body.querySelector(`#aq-${questionId}-group`);
  }

  /** As assessments/templates.py's is_shown: a condition on a shown earlier answer. */
  #isShown(question, answers, depth = 0) {
    const condition = question.condition;
    if (!condition || depth > 50) return true;
    const earlier = this.#questions.get(condition.question);
    if (earlier && !this.#isShown(earlier, answers, depth + 1)) return false;
    const wanted = condition.one_of ?? [condition.equals];
    const given = answers[condition.question];
    if (Array.isArray(given)) return given.some((value) => wanted.includes(value));
    return given !== undefined && wanted.includes(given);
  }

  #text(text) {
    if (typeof text === "string") return text;
    return text?.[this.#lang] ?? text?.en ?? text?.fi ?? "";
  }

  #number(value) {
    return new Intl.NumberFormat(this.#lang, { maximumFractionDigits: 6 }).format(value);
  }

  #scaleEnds(question) {
    return this.#t("assessment_scale_ends", {
      min: this.#number(question.min),
      min_label: this.#text(question.min_label),
      max: this.#number(question.max),
      max_label: this.#text(question.max_label),
    });
  }

  #scaleLabel(question, value) {
    const number = this.#number(value);
    if (value === question.min) return `${number} – ${this.#text(question.min_label)}`;
    if (value === question.max) return `${number} – ${this.#text(question.max_label)}`;
    return number;
  }

  #rangeHint(question) {
    const hasMin = question.min !== undefined && question.min !== null;
    const hasMax = question.max !== undefined && question.max !== null;
    if (hasMin && hasMax) return this.#t("assessment_range", { min: this.#number(question.min), max: this.#number(question.max) });
    if (hasMin) return this.#t("assessment_range_min", { min: this.#number(question.min) });
    return this.#t("assessment_range_max", { max: this.#number(question.max) });
  }

  #fieldMessage(messageId) {
    if (messageId && this.#fieldMessages[messageId]) return this.#fieldMessages[messageId];
    return this.#t(messageId === ANSWER_REQUIRED ? "assessment_answer_this" : "assessment_check_this");
  }
}

function paragraph(className, id, text) {
  const element = document.createElement("p");
  element.className = className;
  if (id) element.id = id;
  element.textContent = text;
  return element;
}

function range(from, to) {
  const values = [];
  for (let value = from; value <= to; value += 1) values.push(value);
  return values;
}


function sameValue(a, b) {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}
