"""Extensions of the Rasa server itself (Python 3.10 side) beyond NLU components."""
