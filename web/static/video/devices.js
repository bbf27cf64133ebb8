// The participant's own camera and microphone, the microphone level meter and the speaker test.

const CAMERA = { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 24, max: 30 } };
const MICROPHONE = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

let sharedAudioContext = null;

/** One AudioContext for the page: browsers limit how many may exist, and each one that starts
 * before a click stays suspended until the first click or key press. */
export function audioContext() {
  if (!sharedAudioContext) {
    sharedAudioContext = new AudioContext();
    const wake = () => sharedAudioContext.resume().catch(() => {});
    for (const type of ["pointerdown", "keydown"]) document.addEventListener(type, wake, { capture: true });
  }
  if (sharedAudioContext.state === "suspended") sharedAudioContext.resume().catch(() => {});
  return sharedAudioContext;
}

/**
 * Ask for the camera and microphone together, then for each alone: a person without a camera
 * can still talk, and one who refuses the camera can still listen.
 * @returns {Promise<{stream: MediaStream, audioTrack: MediaStreamTrack|null, videoTrack: MediaStreamTrack|null, problem: string}>}
 */
export async function openCameraAndMicrophone() {
  const attempts = [
    { audio: MICROPHONE, video: CAMERA },
    { audio: MICROPHONE, video: false },
    { audio: false, video: CAMERA },
  ];
  let problem = "";
  if (!navigator.mediaDevices?.getUserMedia) {
    return { stream: new MediaStream(), audioTrack: null, videoTrack: null, problem: "unsupported" };
  }
  for (const constraints of attempts) {
    try {
      const stream = await navigator.mediaDevices.getUserMedia(constraints);
      const audioTrack = stream.getAudioTracks()[0] ?? null;
      const videoTrack = stream.getVideoTracks()[0] ?? null;
      return { stream, audioTrack, videoTrack, problem: audioTrack && videoTrack ? "" : "partial" };
    } catch (error) {
      problem ||= error.name;
      // Refused permission is refused for every combination: do not ask three times.
      if (error.name === "NotAllowedError" || error.name === "SecurityError") break;
    }
  }
  return { stream: new MediaStream(), audioTrack: null, videoTrack: null, problem };
}

/**
 * Show the loudness of a stream's audio on a <meter> (0–100) and report when sound was heard.
 * @returns {{stop: () => void}}
 */
export function startLevelMeter(stream, meter, onSound = () => {}) {
  const track = stream.getAudioTracks()[0];
  if (!track) return { stop() {} };
  const context = audioContext();
  const source = context.createMediaStreamSource(new MediaStream([track]));
  const analyser = context.createAnalyser();
  analyser.fftSize = 512;
  source.connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  let heard = false;
  const timer = setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const sample of samples) sum += sample * sample;
    const rms = Math.sqrt(sum / samples.length);
    // Speech at a normal distance is an RMS of about 0.02–0.2: spread that over the bar.
    const level = Math.min(100, Math.round(rms * 400));
    meter.value = level;
    if (level >= 8 && !heard) {
      heard = true;
      onSound();
    }
  }, 100);
  return {
    stop() {
      clearInterval(timer);
      source.disconnect();
      meter.value = 0;
    },
  };
}

/** A short two-note chime, loud enough to notice and soft enough not to startle. */
export async function playTestSound() {
  const context = audioContext();
  await context.resume();
  const start = context.currentTime + 0.05;
  const notes = [
    [660, 0],
    [880, 0.45],
  ];
  for (const [frequency, offset] of notes) {
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    oscillator.type = "sine";
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, start + offset);
    gain.gain.exponentialRampToValueAtTime(0.3, start + offset + 0.05);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.4);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start(start + offset);
    oscillator.stop(start + offset + 0.45);
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
}

export function stopTracks(stream) {
  for (const track of stream?.getTracks() ?? []) track.stop();
}
