"""scikit-learn's bundled digits (8x8 images, 10 classes) as train and test CSV files."""

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

digits = load_digits(as_frame=True).frame
train, test = train_test_split(digits, test_size=0.3, random_state=0, stratify=digits["target"])
train.to_csv("data/train.csv", index=False)
test.to_csv("data/test.csv", index=False)
print(f"prepared {len(train)} training and {len(test)} test images")
