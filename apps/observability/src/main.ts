// Event timeline, tail, replay.
export {};
