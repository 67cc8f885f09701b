"""Analysis helpers: compare runs (``python -m pixelcnn.analysis.compare``), receptive fields, and the plain
PixelCNN (masked convs only) that shows the blind spot the gated stacks remove."""
