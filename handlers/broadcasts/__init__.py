"""Broadcast notices (群发通知): what a notice may be, who it reaches, the staff's steps from
draft to approval, and the delivery."""
