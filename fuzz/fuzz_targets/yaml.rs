#![no_main]

/// The first byte picks the CI system, so one target covers every YAML front end.
const NAMES: [&str; 6] = [
    ".github/workflows/ci.yml",
    "action.yml",
    ".gitlab-ci.yml",
    "azure-pipelines.yml",
    ".circleci/config.yml",
    "bitbucket-pipelines.yml",
];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Some((first, rest)) = data.split_first() {
        palisade_fuzz::scan_as(NAMES[*first as usize % NAMES.len()], rest);
    }
});
