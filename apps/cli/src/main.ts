// The bosun command.
export {};
