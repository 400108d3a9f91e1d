// Module boundaries: domain libraries stay pure (no NestJS, pg, typeorm or NATS in them).
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

const banned = ['@nestjs/*', 'pg', 'typeorm', '@nats-io/*'];

const config = [
  { ignores: ['**/dist/**', '**/node_modules/**', '.bosun/**', '.nx/**'] },
  ...tseslint.configs.recommended.map((c) => ({ ...c, files: ['**/*.ts'] })),
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['warn', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:domain', 'type:infra', 'type:contracts'] },
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:domain', 'type:contracts'], bannedExternalImports: banned },
            { sourceTag: 'type:infra', onlyDependOnLibsWithTags: ['type:infra', 'type:contracts'] },
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:contracts'], bannedExternalImports: banned },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['*'] },
          ],
        },
      ],
    },
  },
];

// Tests (not the code they test) may also use the shared fixtures of @bosun/testing.
const boundaries = config.find((c) => c.rules?.['@nx/enforce-module-boundaries']);
const [level, options] = boundaries.rules['@nx/enforce-module-boundaries'];
config.push({
  files: ['**/*.test.ts'],
  rules: {
    '@nx/enforce-module-boundaries': [
      level,
      {
        ...options,
        depConstraints: options.depConstraints.map((c) =>
          c.sourceTag === 'type:testing' ? c : { ...c, onlyDependOnLibsWithTags: [...c.onlyDependOnLibsWithTags, 'type:testing'] },
        ),
      },
    ],
  },
});

export default config;
