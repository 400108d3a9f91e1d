// Gateway API translator.
export {};
