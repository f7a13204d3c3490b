mod conversations;
mod dialogue;
mod ids;
mod reconcile;
mod session;
mod support;
