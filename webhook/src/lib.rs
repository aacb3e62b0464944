//! injit webhook.
