// What the questionnaire panel shows once the answers are saved: thanks to the client, "saved"
// to the host, and the score if the questionnaire gives one.

/** @returns {{box: HTMLElement, heading: HTMLElement}} */
export function resultBox({ heading: headingText, score, t, text, formats }) {
  const box = document.createElement("div");
  box.className = "video-assessment__result";
  box.id = "assessment-result";
  const heading = document.createElement("h3");
  heading.id = "assessment-result-title";
  heading.tabIndex = -1;
  heading.textContent = headingText;
  box.append(heading);
  if (score) {
    box.append(scoreList(score, { t, text, formats }));
  } else {
    const note = document.createElement("p");
    note.textContent = t("assessment_no_score");
    box.append(note);
  }
  return { box, heading };
}

function scoreList(score, { t, text, formats }) {
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
  if (score.total !== null && score.total !== undefined) row(t("assessment_total"), text.number(score.total));
  if (score.percent !== null && score.percent !== undefined) {
    row(t("assessment_percent"), formats.percent.format(score.percent / 100));
  }
  if (score.band) row(t("assessment_band"), text.localize(score.band));
  return list;
}
