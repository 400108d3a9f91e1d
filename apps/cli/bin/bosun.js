#!/usr/bin/env node
// The bosun command runs the compiled CLI; `npm run build` (or any npm script) produces it.
require('../dist/main.js');
