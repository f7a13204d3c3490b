mod conversations;
mod support;
