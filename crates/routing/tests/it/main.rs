mod conversations;
mod dialogue;
mod ids;
mod model;
mod realtime_tools;
mod reconcile;
mod session;
mod support;
