//! berth-builder (skeleton)
