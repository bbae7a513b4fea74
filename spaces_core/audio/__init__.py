"""spaces_core/audio"""
