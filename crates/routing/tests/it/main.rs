mod conversations;
mod dialogue;
mod session;
mod support;
