"""Training of the detector's learned stage (needs the ``train`` extra: scikit-learn).

Not part of the signal core: the core only evaluates the shipped trees
(:mod:`sms_detect.core.learned`).
"""
