"""The demo's deliberately broken deployment: the trained model, except that it raises
on about one single-row request in five (as a bad feature pipeline would)."""

import skops.io as sio


class Broken:
    def __init__(self, path):
        self.inner = sio.load(path, trusted=sio.get_untrusted_types(file=path))
        self.classes_ = self.inner.classes_
        self.feature_names_in_ = self.inner.feature_names_in_
        self.calls = 0

    def predict_proba(self, x):
        self.calls += 1
        if len(x) == 1 and self.calls % 5 == 0:
            raise RuntimeError("feature pipeline returned garbage")
        return self.inner.predict_proba(x)

    def predict(self, x):
        return self.predict_proba(x).argmax(1)


def load(path):
    return Broken(path)
