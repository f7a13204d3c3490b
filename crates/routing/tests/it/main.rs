mod conversations;
mod dialogue;
mod ids;
mod model;
mod reconcile;
mod session;
mod support;
