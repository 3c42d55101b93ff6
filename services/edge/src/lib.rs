//! berth-edge (skeleton)
