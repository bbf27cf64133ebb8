// What the signaling protocol carries of WebRTC's objects: it accepts exactly these fields, so
// they are built here rather than sent as the browser made them.

export function describe(description) {
  return { type: description.type, sdp: description.sdp };
}

export function candidateInit(candidate) {
  const init = { candidate: candidate.candidate, sdpMid: candidate.sdpMid, sdpMLineIndex: candidate.sdpMLineIndex };
  if (candidate.usernameFragment) init.usernameFragment = candidate.usernameFragment;
  return init;
}
