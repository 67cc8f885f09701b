"""Media to every logger (CSV, TensorBoard, W&B) and the W&B logger with offline checkpoint artifacts."""
