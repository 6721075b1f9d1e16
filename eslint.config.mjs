// Lint: TypeScript recommended rules plus the project's layering and import rules.
import tseslint from 'typescript-eslint';

const providerRoots = ['@cdktf/provider-aws', '@cdktf/provider-docker'].map((name) => ({
  name,
  message: 'Import providers by deep path only (e.g. @cdktf/provider-docker/lib/container): the package root costs seconds and hundreds of MB per process.',
}));

const cdktfOutsideItsModule = ['cdktf', 'constructs'].map((name) => ({
  name,
  message: "Import cdktf and constructs through src/cdktf.ts, so a move to another CDK for Terraform release touches one file.",
}));

const pureLayers = {
  patterns: [{
    group: ['cdktf', 'cdktf/*', 'constructs', '@cdktf/*', '../cdktf', '../../cdktf', '../constructs/*', '../backends/*', '../operator/*', '../commands/*', '../routes/*'],
    message: 'The model and the renderers are pure: no cdktf, constructs, backends, operator core, routes or commands.',
  }],
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'lib/**', 'cdktf.out/**', '.local/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      'no-restricted-imports': ['error', { paths: providerRoots }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cdktf.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [...providerRoots, ...cdktfOutsideItsModule] }] },
  },
  {
    files: ['src/model/**/*.ts', 'src/render/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: providerRoots, ...pureLayers }] },
  },
);
