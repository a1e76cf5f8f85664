"""The omnichannel inbox: e-mail, Messenger, Instagram and the website chatbot."""
