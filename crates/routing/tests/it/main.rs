mod conversations;
mod dialogue;
mod ids;
mod session;
mod support;
