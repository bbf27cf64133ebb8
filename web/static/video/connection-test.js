// The connection test: our camera and microphone go to a server-side peer that sends them
// straight back (docs/signaling.md, "The connection test"). Using the meeting's own ICE
// configuration means a protected meeting is tested through the relay, as the meeting will be.

import { readConnection } from "./quality.js";

const GATHERING_LIMIT_MS = 8000;
const CONNECT_LIMIT_MS = 15000;
const TEST_SECONDS = 10;
const PASS = { loss: 0.1, rttMs: 1000 };

/**
 * @param options.path        the meeting's connection-test address
 * @param options.credential  {kind, token}, or null for the host
 * @param options.ice         RTCConfiguration from welcome
 * @param options.stream      the camera and microphone
 * @param options.onEcho      called with the returning MediaStream
 * @param options.onReading   called with each {rttMs, loss} while the test runs
 * @returns {Promise<{outcome: "passed"|"failed"|"no-connection"|"busy"|"no-media"|"error", rttMs: number|null, loss: number|null}>}
 */
export async function runConnectionTest({ path, credential, ice, stream, onEcho = () => {}, onReading = () => {} }) {
  const result = (outcome, reading = {}) => ({ outcome, rttMs: reading.rttMs ?? null, loss: reading.loss ?? null });
  if (!stream.getTracks().length) return result("no-media");
  const pc = new RTCPeerConnection(ice);
  try {
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
    const echo = new MediaStream();
    pc.ontrack = ({ track }) => {
      echo.addTrack(track);
      onEcho(echo);
    };
    await pc.setLocalDescription(await pc.createOffer());
    // The server does not trickle: the offer has to carry every candidate.
    await gatheringComplete(pc);

    const body = { offer: { type: "offer", sdp: pc.localDescription.sdp } };
    if (credential) body.credential = credential;
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      credentials: "same-origin",
      body: JSON.stringify(body),
    });
    if (response.status === 503 || response.status === 429) return result("busy");
    if (!response.ok) return result("error");
    const { answer } = await response.json();
    await pc.setRemoteDescription(answer);

    if (!(await connected(pc))) return result("no-connection");
    let reading = null;
    let previous = null;
    for (let second = 1; second <= TEST_SECONDS; second += 1) {
      await sleep(1000);
      // The first RTCP reports take a couple of seconds to arrive.
      if (second >= 3 && second % 2 === 1) {
        const next = await readConnection(pc, previous);
        previous = next;
        if (next.rttMs !== null || next.loss !== null) {
          reading = { rttMs: next.rttMs ?? reading?.rttMs ?? null, loss: next.loss ?? reading?.loss ?? null };
          onReading(reading);
        }
      }
      if (pc.connectionState === "failed") return result("no-connection", reading ?? {});
    }
    const passed = (reading?.loss ?? 0) < PASS.loss && (reading?.rttMs ?? 0) < PASS.rttMs;
    return result(passed ? "passed" : "failed", reading ?? {});
  } catch (error) {
    console.warn("connection test", error);
    return result("error");
  } finally {
    pc.close();
  }
}

function gatheringComplete(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState !== "complete") return;
      pc.removeEventListener("icegatheringstatechange", done);
      clearTimeout(timer);
      resolve();
    };
    // A candidate that never arrives (an unreachable TURN server) must not hold the test up:
    // whatever was gathered by then goes into the offer.
    const timer = setTimeout(() => {
      pc.removeEventListener("icegatheringstatechange", done);
      resolve();
    }, GATHERING_LIMIT_MS);
    pc.addEventListener("icegatheringstatechange", done);
  });
}

function connected(pc) {
  if (pc.connectionState === "connected") return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(false), CONNECT_LIMIT_MS);
    const check = () => {
      if (pc.connectionState === "connected") finish(true);
      else if (pc.connectionState === "failed" || pc.connectionState === "closed") finish(false);
    };
    function finish(value) {
      clearTimeout(timer);
      pc.removeEventListener("connectionstatechange", check);
      resolve(value);
    }
    pc.addEventListener("connectionstatechange", check);
  });
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
