/**
 * The suite's own environment, for every test file: the GitHub Actions switches are removed, so that
 * running the suite in GitHub Actions (GITHUB_ACTIONS=true there) does not add annotations to the
 * reports the tests compare byte for byte, nor append to the job's step summary. The tests of that
 * behaviour (test/report/github.test.ts) set both explicitly.
 */
delete process.env.GITHUB_ACTIONS;
delete process.env.GITHUB_STEP_SUMMARY;
