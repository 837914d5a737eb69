/** ROS-shaped messages for the tests (the encoders live in ros/encode.ts). */
export { imageMsg, cameraInfoMsg, frameMessages, type ImageSpec, type Layout } from '../../ros/encode.ts';
