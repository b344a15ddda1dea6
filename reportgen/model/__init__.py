"""What is trained: the 2018 network (``network``), its forward pass, cost and hand-written gradients."""
