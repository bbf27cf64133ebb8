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
//
// This module keeps the live assessment's state and follows the server's messages about it; the
// host's chooser, the client's form, the host's view of the answers, the result and the messages
// sent are modules of their own.

import { AssessmentAnswers } from "./assessment-answers.js";
import { AssessmentChooser } from "./assessment-chooser.js";
import { isShown } from "./assessment-conditions.js";
import { AssessmentForm } from "./assessment-form.js";
import { resultBox } from "./assessment-result.js";
import { AssessmentText } from "./assessment-text.js";
import { AssessmentTransport, isAssessmentError } from "./assessment-transport.js";

export class AssessmentPanel {
  #role;
  #panel;
  #title;
  #body;
  #chooser;
  #t;
  #text;
  #formats;
  #announce;
  #transport;
  #live = null; // {id, template, answers, submitting}
  #questions = new Map(); // id → question
  #view = null; // the client's AssessmentForm or the host's AssessmentAnswers

  constructor({ role, panel, title, body, chooser, select, sendButton, hostError, t, fieldMessages, lang, formats, send, announce }) {
    this.#role = role;
    this.#panel = panel;
    this.#title = title;
    this.#body = body;
    this.#t = t;
    this.#text = new AssessmentText({ t, lang, fieldMessages: fieldMessages ?? {} });
    this.#formats = formats;
    this.#announce = announce;
    this.#transport = new AssessmentTransport({
      send,
      onTypingPaused: (questionId) => {
        const question = this.#questions.get(questionId);
        if (question) this.#changed(question);
      },
    });
    this.#chooser = new AssessmentChooser({
      element: chooser,
      select,
      sendButton,
      error: hostError,
      onChoose: (templateId) => this.#transport.start(templateId),
    });
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
        if (!isAssessmentError(message)) return false;
        this.#error(message);
        return true;
      default:
        return false;
    }
  }

  /** Our seat was lost (back to the lobby): the room will send the questionnaire again. */
  reset() {
    this.#transport.forgetTyping();
    this.#live = null;
    this.#body.replaceChildren();
    this.#title.textContent = this.#t("assessment_heading");
    if (this.isHost) this.#chooser.setOffered(true);
    else this.#panel.hidden = true;
  }

  #open({ id, template, answers, submitting }) {
    const fresh = this.#live?.id !== id;
    this.#live = { id, template, answers: { ...(answers ?? {}) }, submitting: Boolean(submitting) };
    this.#questions = new Map(template.questions.map((question) => [question.id, question]));
    this.#panel.hidden = false;
    this.#chooser.setOffered(false);
    this.#chooser.showError("");
    if (fresh) {
      this.#transport.forgetTyping();
      this.#title.textContent = this.#text.localize(template.title);
      this.#view = this.isHost ? this.#answersView(template) : this.#form(template);
      this.#body.replaceChildren(this.#view.element);
      this.#title.focus();
      if (!this.isHost) this.#announce(this.#t("assessment_arrived", { title: this.#text.localize(template.title) }));
    }
    this.#sync();
    this.#setSubmitting(this.#live.submitting);
  }

  #form(template) {
    return new AssessmentForm({
      template,
      t: this.#t,
      text: this.#text,
      onAnswer: (question) => this.#changed(question),
      onTyping: (question) => this.#transport.typed(question.id),
      onTypingDone: (question) => this.#transport.flush(question.id),
      onSubmit: () => this.#submit(),
      isTyping: (questionId) => this.#transport.isTyping(questionId),
    });
  }

  #answersView(template) {
    return new AssessmentAnswers({
      template,
      t: this.#t,
      text: this.#text,
      onCancel: () => {
        if (this.#live) this.#transport.cancel(this.#live.id);
      },
    });
  }

  #answered({ assessment, question, value }) {
    const live = this.#live;
    if (!live || live.id !== assessment) return;
    if (value === null || value === undefined) delete live.answers[question];
    else live.answers[question] = value;
    this.#view.showFieldError(question, "");
    this.#sync(question);
  }

  #result({ assessment, result }) {
    const live = this.#live;
    if (!live || live.id !== assessment) return;
    this.#transport.forgetTyping();
    this.#live = null;
    const { box, heading } = resultBox({
      heading: this.#t(this.isHost ? "assessment_saved" : "assessment_thanks"),
      score: result?.score ?? null,
      t: this.#t,
      text: this.#text,
      formats: this.#formats,
    });
    this.#body.replaceChildren(box);
    this.#title.textContent = this.#t("assessment_heading");
    this.#chooser.setOffered(true);
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
      if (key) this.#chooser.showError(this.#t(key));
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
    for (const [question, messageId] of problems) this.#view.showFieldError(question, this.#text.fieldMessage(messageId));
    if (code === "incomplete") {
      this.#setSubmitting(false);
      this.#setStatus(this.#t("assessment_incomplete"), true);
      const first = this.#live.template.questions.find((question) => fields?.[question.id]);
      if (first) this.#view.focusQuestion(first.id);
    }
  }

  /** Read a question's control and send its answer, if it changed. */
  #changed(question) {
    const live = this.#live;
    if (!live || live.submitting) return;
    const read = this.#view.read(question);
    if (read.invalid) {
      this.#view.showFieldError(question.id, this.#text.fieldMessage(""));
      return;
    }
    const before = live.answers[question.id] ?? null;
    if (sameValue(before, read.value)) {
      this.#view.showFieldError(question.id, "");
      return;
    }
    // Conditions follow what was just chosen at once; the server's echo confirms it.
    if (read.value === null) delete live.answers[question.id];
    else live.answers[question.id] = read.value;
    this.#transport.answer(live.id, question.id, read.value);
    this.#sync();
  }

  #submit() {
    const live = this.#live;
    if (!live || live.submitting) return;
    // Typed text not yet sent goes first: messages keep their order.
    this.#transport.flushAll();
    this.#setStatus("");
    if (this.#transport.submit(live.id)) this.#setSubmitting(true);
  }

  /** Put the answers into the view (not into the control being typed in) and apply conditions. */
  #sync(only = null) {
    const live = this.#live;
    if (!live) return;
    for (const question of live.template.questions) {
      const group = this.#view.group(question.id);
      if (!group) continue;
      group.hidden = !isShown(question, this.#questions, live.answers);
      if (only !== null && only !== question.id) continue;
      this.#view.showAnswer(question, group, live.answers[question.id] ?? null);
    }
  }

  #setSubmitting(submitting) {
    if (!this.#live) return;
    this.#live.submitting = submitting;
    if (this.isHost) {
      this.#setStatus(submitting ? this.#t("assessment_host_submitting") : "");
      return;
    }
    this.#view.lock(submitting);
    if (submitting) {
      this.#setStatus(this.#t("assessment_sending"));
      this.#announce(this.#t("assessment_sending"));
    }
  }

  #setStatus(text, problem = false) {
    const status = this.#view?.status;
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("error-message", problem);
  }
}

function sameValue(a, b) {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}
