//! What opens over a view: the help, an instance's details, the doctor's report, the `:`
//! line, the forms.

pub(crate) mod doctor;
pub mod help;
pub(crate) mod help_keys;
pub mod help_table;

#[cfg(test)]
pub(crate) mod doctor_tests;
