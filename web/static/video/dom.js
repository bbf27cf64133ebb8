// Finding the room page's elements and making small ones.

/** An element the page must have: a missing one is a mismatch with the template, not a state. */
export function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element;
}

export function paragraph(className, id, text) {
  const element = document.createElement("p");
  element.className = className;
  if (id) element.id = id;
  element.textContent = text;
  return element;
}
