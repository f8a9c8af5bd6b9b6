//! Integration tests: the built binary driven as `git epic ...` on real repositories.

mod agent;
mod bad_input;
mod chaos;
mod demo;
mod disk;
mod doctor;
mod fix;
mod flow;
mod merge;
mod model_server;
mod monitor;
mod output;
mod pr;
mod propagate;
mod queue;
mod real_claude;
mod real_cli;
mod real_codex;
mod real_gemini;
mod report;
mod review;
mod runner;
mod session;
mod state;
mod status;
mod support;
