import { defineConfig } from 'vitest/config';
import swc from 'unplugin-swc';
import { readdirSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';

// Tests import the libraries' sources, never their dist/ (which may be stale).
const libs = readdirSync(resolve(__dirname, 'libs')).filter((d) => existsSync(resolve(__dirname, 'libs', d, 'src/index.ts')));
const alias = libs.map((d) => ({ find: new RegExp(`^@bosun/${d}$`), replacement: resolve(__dirname, 'libs', d, 'src/index.ts') }));

// NestJS needs decorator metadata, which esbuild does not emit: SWC compiles the tests.
const plugins = [swc.vite({ module: { type: 'es6' }, jsc: { target: 'es2022', parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true } } })];

export default defineConfig({
  plugins,
  resolve: { alias },
  test: {
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.bosun/test-results.json' }]] : ['default'],
    projects: [
      {
        plugins,
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['{apps,libs}/*/{src,test}/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/*.interop.test.ts', '**/node_modules/**', '**/dist/**'],
          testTimeout: 60_000,
        },
      },
      {
        // Integration (real Postgres / NATS) and interop (network namespaces, real peers):
        // one file at a time, because they share the machine's services and namespaces.
        plugins,
        resolve: { alias },
        test: {
          name: 'integration',
          include: ['{apps,libs}/*/{src,test}/**/*.{int,interop}.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
