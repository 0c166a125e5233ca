"""The live rooms: chat and 弹幕, questions and answers, likes, viewers and moderation of a live
session, in real time over WebSockets (Channels) and over the REST API."""
