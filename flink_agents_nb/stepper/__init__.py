"""The step-through debugger: the cursor model, its index, breakpoints, memory replay and the
widget.
"""
