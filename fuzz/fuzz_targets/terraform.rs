#![no_main]

/// The first byte picks the Terraform file form.
const NAMES: [&str; 4] = ["main.tf", "main.tf.json", "terraform.tfvars", "plan.tfplan.json"];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Some((first, rest)) = data.split_first() {
        palisade_fuzz::scan_as(NAMES[*first as usize % NAMES.len()], rest);
    }
});
