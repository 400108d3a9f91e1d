// BGP-4 speaker: codec, FSM, sessions, Adj-RIB-Out, standalone runner.
export {};
