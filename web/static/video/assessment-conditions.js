// Which questions are asked, given the answers so far.

// Deeper than any real questionnaire: the limit only stops a template whose conditions loop.
const MAX_CONDITION_DEPTH = 50;

/**
 * As assessments/templates.py's is_shown: a condition on a shown earlier answer.
 * @param questions {Map<string, object>} the template's questions by id
 */
export function isShown(question, questions, answers, depth = 0) {
  const condition = question.condition;
  if (!condition || depth > MAX_CONDITION_DEPTH) return true;
  const earlier = questions.get(condition.question);
  if (earlier && !isShown(earlier, questions, answers, depth + 1)) return false;
  const wanted = condition.one_of ?? [condition.equals];
  const given = answers[condition.question];
  if (Array.isArray(given)) return given.some((value) => wanted.includes(value));
  return given !== undefined && wanted.includes(given);
}
